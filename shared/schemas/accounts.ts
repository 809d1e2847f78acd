/**
 * Bodies of the account routes (sign-in, password change, users): the shape and bounds of each
 * field. Rules that need the stored accounts (a reserved or taken name, the password policy, the
 * current password) stay with the accounts (server/users/accounts.ts). Server-side parsing
 * (server/http/json-body.ts); the types are what the admin and sign-in pages send.
 */
import { z } from 'zod';
import { ROLES } from '../roles.ts';

/** An account name: one per person, as the accounts store them. */
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const USER_NAME_RULE = '2 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit';
const MAX_NAME_CHARS = 64;
const MAX_PASSWORD_CHARS = 200;

/** A name as typed (sign-in, lookups): the accounts say whether it exists. */
const typedName = z.string().min(1).max(MAX_NAME_CHARS);
const role = z.enum(ROLES);

export const signInBody = z.object({
  name: typedName,
  password: z.string().min(1).max(MAX_PASSWORD_CHARS),
});
export type SignInBody = z.infer<typeof signInBody>;

export const passwordChangeBody = z.object({
  currentPassword: z.string().max(MAX_PASSWORD_CHARS),
  newPassword: z.string().max(MAX_PASSWORD_CHARS),
});
export type PasswordChangeBody = z.infer<typeof passwordChangeBody>;

export const userCreateBody = z.object({
  name: z.string({ error: USER_NAME_RULE }).regex(USER_NAME, USER_NAME_RULE),
  role,
});
export type UserCreateBody = z.infer<typeof userCreateBody>;

export const userUpdateBody = z.object({
  name: typedName,
  role: role.optional(),
  disabled: z.boolean().optional(),
  unlock: z.literal(true, { error: 'must be true when given' }).optional(),
});
export type UserUpdateBody = z.infer<typeof userUpdateBody>;

export const passwordResetBody = z.object({ name: typedName });
export type PasswordResetBody = z.infer<typeof passwordResetBody>;
