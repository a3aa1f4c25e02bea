// Composite keys of File and Symbol nodes: the workspace id and a path or a name, unique together.
import { keyPart } from '../indexer/bounds';

/** Separates the workspace id from a path or a name in composite keys; cannot occur in either. */
export const SEP = '\u0000';

// Both parts go through keyPart: any path or name gives a key the range index accepts (bounds.ts).
export const fileKey = (workspaceId: string, path: string): string => `${workspaceId}${SEP}${keyPart(path)}`;
export const symbolKey = (workspaceId: string, name: string): string => `${workspaceId}${SEP}${keyPart(name)}`;
