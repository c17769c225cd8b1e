/**
 * The {@code attachproof} command line (picocli). With {@code serve}'s HTTP answers, the only
 * place that turns results into text, JSON and exit codes: 0 attachable, 1 not attachable, 2 bad
 * usage or bad input (a {@link dev.attachproof.cli.BadInputException} or a target the engine
 * cannot serve), 3 internal error. No Java stack trace reaches the user unless {@code --debug}
 * asks for it.
 */
package dev.attachproof.cli;
