// Types of content-range.js.

export declare function parseContentRange(value: unknown): { first: number; last: number; total: number | undefined } | undefined;
export declare function isRange(value: unknown, offset: number, length: number): boolean;
