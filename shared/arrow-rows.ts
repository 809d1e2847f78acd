/**
 * Rows from an Arrow table (DuckDB-WASM's query result) by whole columns: Arrow's row proxies
 * cost about 50 µs a row, which made a 5,000-agent table take longer than the query behind it.
 * Typed only by shape, so shared/ stays free of the Arrow library.
 */
export interface ArrowTableLike {
  numRows: number;
  schema: { fields: Array<{ name: string; type: unknown }> };
  getChild(name: string): { nullCount: number; toArray(): ArrayLike<unknown>; get(index: number): unknown } | null;
}

export function arrowRows(table: ArrowTableLike): Array<Record<string, unknown>> {
  const names = table.schema.fields.map((f) => f.name);
  const columns = table.schema.fields.map((field) => {
    const vector = table.getChild(field.name)!;
    // Whole arrays only for plain numbers without nulls (in a typed array a null reads as 0, and
    // a timestamp's array holds raw units); everything else value by value, as Arrow converts it.
    const plain = /^(Float|Int|Uint)/.test(String(field.type)) && vector.nullCount === 0;
    if (!plain) return Array.from({ length: table.numRows }, (_, i) => vector.get(i) ?? null);
    const values = vector.toArray();
    return typeof values[0] === 'bigint' ? Array.from(values as unknown as BigInt64Array, Number) : values;
  });
  const rows: Array<Record<string, unknown>> = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (let j = 0; j < names.length; j++) row[names[j]] = columns[j][i];
    rows[i] = row;
  }
  return rows;
}
