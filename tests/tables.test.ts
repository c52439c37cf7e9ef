import { test } from "node:test";
import assert from "node:assert/strict";
import Module, { createRequire } from "node:module";
import { formatCell, showTable, tableData, tableHtml, tableText, toDataFrame } from "../lib/src/notebook/tables.js";

const rows = [
  { k: 1, accuracy: 0.91234567, note: "<b>best</b> & fast" },
  { k: 3, accuracy: 0.9, note: "ok" },
  { k: 10, accuracy: NaN },
];

test("formatCell: integers exact, decimals to `digits`, tiny/huge in exponent form, missing empty", () => {
  assert.equal(formatCell(3), "3");
  assert.equal(formatCell(0.91234567, 3), "0.912");
  assert.equal(formatCell(0.5), "0.5000");
  assert.equal(formatCell(3e-7, 4), "3.000e-7");
  assert.equal(formatCell(undefined), "");
  assert.equal(formatCell(null), "");
  assert.equal(formatCell(NaN), "NaN");
  assert.equal(formatCell(-Infinity), "−∞");
  assert.equal(formatCell("x"), "x");
  assert.equal(formatCell(true), "true");
});

test("tableHtml escapes names and values, right-aligns numeric columns, adds the caption", () => {
  const html = tableHtml([...rows, { "a<b": "x" }], { title: "k & <accuracy>", digits: 3 });
  assert.ok(html.includes("&lt;b&gt;best&lt;/b&gt; &amp; fast"));
  assert.ok(!html.includes("<b>best"));
  assert.ok(html.includes("<th style=\"text-align:left\">a&lt;b</th>"));
  assert.ok(html.includes("<caption style=\"caption-side:top; text-align:left; font-weight:bold; white-space:nowrap\">k &amp; &lt;accuracy&gt;</caption>"));
  assert.ok(html.includes("<td style=\"text-align:right\">0.912</td>"));
  assert.equal((html.match(/<tr>/g) ?? []).length, 5); // header + 4 rows
  const elided = tableHtml(rows, { maxRows: 1 });
  assert.equal((elided.match(/<tr>/g) ?? []).length, 2);
  assert.match(elided, /… 2 more rows/);
});

test("tableText aligns columns: numbers right, text left", () => {
  const text = tableText([{ name: "a", n: 5 }, { name: "bbb", n: 123 }]);
  assert.equal(text, ["name    n", "----  ---", "a       5", "bbb   123"].join("\n"));
});

test("toDataFrame builds a danfo DataFrame; tables render from it the same as from records", () => {
  const df = toDataFrame(rows);
  assert.deepEqual(df.columns, ["k", "accuracy", "note"]);
  assert.deepEqual(df.shape, [3, 3]);
  assert.deepEqual(df.column("k").values, [1, 3, 10]);
  const fromDf = tableData(df);
  assert.deepEqual(fromDf.columns, ["k", "accuracy", "note"]);
  assert.equal(fromDf.index, undefined);
  assert.equal(fromDf.rows[0]![2], "<b>best</b> & fast");
  assert.equal(tableHtml(df, { digits: 2 }).includes("&lt;b&gt;best"), true);
  // A non-default index is shown as row labels.
  const labelled = df.setIndex({ index: ["a", "b", "c"] });
  assert.deepEqual(tableData(labelled).index, ["a", "b", "c"]);
  assert.match(tableText(labelled), /^c\s+10/m);
  assert.throws(() => toDataFrame([]), /at least one row/);
  assert.throws(() => toDataFrame([[1, 2]] as unknown as Record<string, unknown>[]), /row 0 is an array/);
});

test("showTable: prints text outside a kernel; inside one sends HTML + text in one bundle", () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    showTable(rows, { title: "runs" });
  } finally {
    console.log = log;
  }
  assert.equal(printed.length, 1);
  assert.match(printed[0]!, /^runs\n\s*k\s+accuracy/);

  const cache = createRequire(import.meta.url).cache;
  const fakePath = "/simulated/node_modules/tslab/dist/jupyter.js";
  const sent: Record<string, unknown>[] = [];
  const fake = new Module(fakePath);
  fake.exports = { lastWriteDisplayData: (msg: { data: Record<string, unknown> }) => sent.push(msg.data) };
  fake.loaded = true;
  cache[fakePath] = fake;
  try {
    showTable(rows, { title: "runs" });
  } finally {
    delete cache[fakePath];
  }
  assert.equal(sent.length, 1);
  assert.deepEqual(Object.keys(sent[0]!).sort(), ["text/html", "text/plain"]);
  assert.match(sent[0]!["text/html"] as string, /^<table/);
});
