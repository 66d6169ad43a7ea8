//! Full imports (skeleton): the first import after connecting Google and the guarded repair after a 410,
//! announced with `IMPORT_GCAL_START` / `IMPORT_GCAL_END`; sets `sync.importGCal` in the user metadata.
