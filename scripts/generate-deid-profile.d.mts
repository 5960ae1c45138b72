// Types of scripts/generate-deid-profile.mjs for the unit test that regenerates the table in memory.
export declare const EDITION: string;
export declare const SOURCE_PATH: string;
export declare const OUTPUT_PATH: string;
export declare const OPTION_COLUMNS: readonly string[];
export declare function renderProfileTable(rows: unknown, sourceBytes: Uint8Array): string;
export declare function generateFromSource(): string;
