/**
 * MongoDB collections of file metadata. The files service writes them; the
 * message accept path reads them through MongoFileCatalog. Both take the
 * names from here so that writer and reader cannot drift apart.
 */
export const FILES_COLLECTION = 'files';
/** One document per file that left `uploading`: the unique file_id makes that decision happen once. */
export const FILE_OUTCOMES_COLLECTION = 'file_outcomes';
