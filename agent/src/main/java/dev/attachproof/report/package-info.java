/**
 * Turning results into what people and programs read: text for terminals (colour only when
 * writing to one, and every name the target chose escaped by {@link dev.attachproof.report.Style#escape})
 * and JSON in the schemas of docs/schemas (the contract: docs/contract.md), each document a record
 * (its components in the document's order) written by Jackson through {@link dev.attachproof.report.JsonDocuments},
 * which holds the contract's layout and escapes. Nothing here decides anything.
 */
package dev.attachproof.report;
