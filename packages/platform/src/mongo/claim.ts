import { isDuplicateKeyError } from './mongo';

/**
 * Claim by unique insert: `insert` writes a document whose unique key (its
 * `_id` or a unique index) admits one insert across all processes. Resolves
 * true for the caller whose insert landed, false when the key was taken
 * already (someone else decided first, or this is a repeat); any other error
 * rejects. FerretDB cannot make a conditional update atomic, so every
 * decision that must happen once (a lease, an outcome, a sweep) is made
 * this way. With `insertMany({ ordered: false })` the documents that were
 * not there yet are written and the result is false if any was.
 */
export async function claimByInsert(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}
