/**
 * Body of `POST /api/v1/display-links` and `POST /api/v1/ingest-keys` (named, revocable tokens).
 * Reserved and taken names are the token store's to refuse (server/users/named-tokens.ts).
 */
import { z } from 'zod';

export const TOKEN_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;
export const TOKEN_NAME_RULE = '1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit';

export const namedTokenCreateBody = z.object({
  name: z.string({ error: TOKEN_NAME_RULE }).regex(TOKEN_NAME, TOKEN_NAME_RULE),
});
export type NamedTokenCreateBody = z.infer<typeof namedTokenCreateBody>;
