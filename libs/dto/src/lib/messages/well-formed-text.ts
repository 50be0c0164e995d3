/**
 * Text made of whole UTF-16 characters: no high surrogate without its low one and no low one
 * alone. JSON may carry a lone `\ud800`; stored and read back it becomes U+FFFD (or breaks
 * another client), so a message is taken as sent or refused.
 */
export const WELL_FORMED_TEXT = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;
