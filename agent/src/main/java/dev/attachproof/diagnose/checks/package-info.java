/**
 * One class per check id of docs/contract.md. Each mirrors one kernel rule, names the file or errno that
 * decides it in its evidence, and gives a remedy a person can act on. A check fails only when
 * its cause alone denies the attach; what only makes an attach useless is a warning.
 */
package dev.attachproof.diagnose.checks;
