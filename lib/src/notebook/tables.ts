/**
 * Tables: records → danfo.js DataFrames, and DataFrames (or plain records) → HTML tables shown
 * inline in a notebook, with a plain-text fallback. danfojs-node takes about a second to load,
 * so it is required only when a DataFrame is actually built.
 */
import { createRequire } from "node:module";
import type { DataFrame } from "danfojs-node";
import { escapeHtmlText, showMimeBundle } from "./display.js";
import { InvalidInputError } from "../core/checks.js";

const requireHere = createRequire(import.meta.url);

type DanfoModule = typeof import("danfojs-node");
let danfo: DanfoModule | undefined;

/** danfojs-node, loaded on first use. */
export function loadDanfo(): DanfoModule {
  danfo ??= requireHere("danfojs-node") as DanfoModule;
  return danfo;
}

/** One table row: column name → cell value. */
export type TableRow = Record<string, unknown>;

function checkRows(rows: readonly TableRow[]): void {
  if (!Array.isArray(rows)) throw new InvalidInputError("rows", "expected an array of records (objects), one per row.");
  rows.forEach((row, i) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new InvalidInputError("rows", `row ${i} is ${Array.isArray(row) ? "an array" : String(row)}; expected a record like {k: 1, accuracy: 0.9}.`);
    }
  });
}

/** Column names in order of first appearance across the rows. */
function columnsOf(rows: readonly TableRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/**
 * A danfo DataFrame from an array of records; a key missing from some rows becomes
 * undefined there. Throws on an empty array (danfo cannot infer columns from nothing).
 */
export function toDataFrame(rows: readonly TableRow[]): DataFrame {
  checkRows(rows);
  if (rows.length === 0) throw new InvalidInputError("rows", "toDataFrame needs at least one row.");
  const columns = columnsOf(rows);
  const complete = rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
  return new (loadDanfo().DataFrame)(complete);
}

/** A table's content: column names, an optional index, and rows of cell values. */
export interface TableData {
  columns: string[];
  /** Row labels (a DataFrame's index when it is not just 0..n−1). */
  index?: (string | number)[];
  rows: unknown[][];
}

function isDataFrameLike(value: unknown): value is { columns: string[]; values: unknown[]; index: (string | number)[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as { columns?: unknown; values?: unknown; index?: unknown };
  return Array.isArray(v.columns) && Array.isArray(v.values) && Array.isArray(v.index);
}

/** Columns and rows of a DataFrame or of an array of records. */
export function tableData(table: DataFrame | readonly TableRow[]): TableData {
  if (isDataFrameLike(table)) {
    const columns = table.columns.map(String);
    // A one-column DataFrame's values may come back flat; make every row an array.
    const rows = table.values.map((r) => (Array.isArray(r) ? (r as unknown[]) : [r]));
    const index = table.index;
    const isRange = index.every((label, i) => label === i);
    return isRange ? { columns, rows } : { columns, index, rows };
  }
  const records = table as readonly TableRow[];
  checkRows(records);
  const columns = columnsOf(records);
  return { columns, rows: records.map((row) => columns.map((c) => row[c])) };
}

export interface TableOptions {
  /** Caption above the table. */
  title?: string;
  /** Decimal places for non-integer numbers (default 4). */
  digits?: number;
  /** Rows shown before eliding the rest (default 60). */
  maxRows?: number;
}

/** A cell as text: integers exact, other numbers with `digits` decimals, missing as "". */
export function formatCell(value: unknown, digits = 4): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    // Fixed decimals would print 3e-7 as 0.0000 and 1e9 with needless digits.
    if (abs !== 0 && (abs < 10 ** -digits || abs >= 1e9)) return value.toExponential(Math.max(1, digits - 1));
    return value.toFixed(digits);
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function limitRows(data: TableData, maxRows: number): { shown: TableData; hidden: number } {
  if (data.rows.length <= maxRows) return { shown: data, hidden: 0 };
  return {
    shown: { columns: data.columns, rows: data.rows.slice(0, maxRows), ...(data.index ? { index: data.index.slice(0, maxRows) } : {}) },
    hidden: data.rows.length - maxRows,
  };
}

/** The table as an HTML fragment; every name and value is escaped. Numbers are right-aligned. */
export function tableHtml(table: DataFrame | readonly TableRow[], options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const { shown, hidden } = limitRows(tableData(table), options.maxRows ?? 60);
  const numeric = shown.columns.map((_, j) => shown.rows.length > 0 && shown.rows.every((r) => r[j] === undefined || r[j] === null || typeof r[j] === "number"));
  const cellStyle = (j: number): string => (numeric[j] ? ' style="text-align:right"' : ' style="text-align:left"');
  const lines: string[] = ['<table class="dataframe classifiers-table" style="border-collapse:collapse; font-variant-numeric:tabular-nums">'];
  if (options.title !== undefined) lines.push(`<caption style="caption-side:top; text-align:left; font-weight:bold; white-space:nowrap">${escapeHtmlText(options.title)}</caption>`);
  const indexHeader = shown.index ? "<th></th>" : "";
  lines.push(`<thead><tr>${indexHeader}${shown.columns.map((c, j) => `<th${cellStyle(j)}>${escapeHtmlText(c)}</th>`).join("")}</tr></thead>`);
  lines.push("<tbody>");
  shown.rows.forEach((row, i) => {
    const label = shown.index ? `<th>${escapeHtmlText(String(shown.index[i]))}</th>` : "";
    lines.push(`<tr>${label}${row.map((v, j) => `<td${cellStyle(j)}>${escapeHtmlText(formatCell(v, digits))}</td>`).join("")}</tr>`);
  });
  lines.push("</tbody>", "</table>");
  if (hidden > 0) lines.push(`<p style="font-size:smaller">… ${hidden} more row${hidden === 1 ? "" : "s"}</p>`);
  return lines.join("\n");
}

/** The table as aligned plain text (numbers right-aligned), for consoles and logs. */
export function tableText(table: DataFrame | readonly TableRow[], options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const { shown, hidden } = limitRows(tableData(table), options.maxRows ?? 60);
  const header = [...(shown.index ? [""] : []), ...shown.columns];
  const body = shown.rows.map((row, i) => [...(shown.index ? [String(shown.index[i])] : []), ...row.map((v) => formatCell(v, digits))]);
  const rightAlign = header.map((_, j) => body.length > 0 && body.every((r) => r[j] === "" || /^[−-]?(\d|NaN|∞)/.test(r[j]!)));
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => r[j]!.length)));
  const line = (cells: string[]): string => cells.map((c, j) => (rightAlign[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join("  ").trimEnd();
  const out = [
    ...(options.title !== undefined ? [options.title] : []),
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
  ];
  if (hidden > 0) out.push(`… ${hidden} more row${hidden === 1 ? "" : "s"}`);
  return out.join("\n");
}

/**
 * Shows a DataFrame or an array of records as an HTML table inline in the notebook (plain text
 * as the fallback). Outside a kernel it prints the text table instead.
 */
export function showTable(table: DataFrame | readonly TableRow[], options: TableOptions = {}): void {
  const text = tableText(table, options);
  const shown = showMimeBundle({ data: { "text/html": tableHtml(table, options), "text/plain": text }, metadata: {} });
  if (!shown) console.log(text);
}
