/**
 * Turning results into what people and programs read: text for terminals (colour only when
 * writing to one, and every name the target chose escaped by {@link dev.attachproof.report.Style#escape})
 * and JSON in the schemas of docs/schemas (the contract: docs/contract.md). Nothing here decides anything.
 */
package dev.attachproof.report;
