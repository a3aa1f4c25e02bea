// Composite keys of File and Symbol nodes: the workspace id and a path or a name, unique together.

/** Separates the workspace id from a path or a name in composite keys; cannot occur in either. */
export const SEP = '\u0000';

export const fileKey = (workspaceId: string, path: string): string => `${workspaceId}${SEP}${path}`;
export const symbolKey = (workspaceId: string, name: string): string => `${workspaceId}${SEP}${name}`;
