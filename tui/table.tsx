import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { type Column, layout, renderHeader, renderRow } from './model.js';
import { padTo } from './width.js';

export interface TableProps<R> {
  columns: Column<R>[];
  rows: readonly R[];
  /** Index of the selected row in `rows`. */
  cursor: number;
  /** First row shown. */
  offset: number;
  /** Body lines (the table always takes height + 1 lines: header and body, blank-padded). */
  height: number;
  width: number;
  color: boolean;
  colorOf?: (r: R) => string | undefined;
  empty?: string;
}

/**
 * A virtualised table: only the `height` rows from `offset` are rendered, each as one pre-padded line
 * (CJK counted as two columns), so 2,000 rows cost what 20 do. The selected row is marked with `>` and,
 * on a colour terminal, inverse.
 */
export function Table<R>(p: TableProps<R>) {
  const inner = Math.max(0, p.width - 2);
  const widths = layout(p.columns, inner);
  const lines: ReactNode[] = [];
  for (let i = 0; i < p.height; i++) {
    const idx = p.offset + i;
    const r = p.rows[idx];
    if (r === undefined) {
      lines.push(<Text key={i}>{i === 0 && p.rows.length === 0 && p.empty ? padTo(`  ${p.empty}`, p.width) : ' '}</Text>);
      continue;
    }
    const selected = idx === p.cursor;
    const text = `${selected ? '>' : ' '} ${renderRow(p.columns, widths, r)}`;
    const color = p.color ? p.colorOf?.(r) : undefined;
    lines.push(
      <Text key={i} color={color} inverse={selected && p.color} wrap="truncate">
        {text}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={p.width}>
      <Text bold={p.color} underline={p.color} wrap="truncate">
        {`  ${renderHeader(p.columns, widths)}`}
      </Text>
      {lines}
    </Box>
  );
}
