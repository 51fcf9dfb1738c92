/**
 * Uploads are written beside their target under a hidden temporary name and renamed into place
 * when complete. Listings leave these names out for everyone: a half-written file is nobody's to see.
 */
export const UPLOAD_TEMP_PREFIX = '.classicd-upload-';

export function isUploadTempName(name: string): boolean {
  return name.startsWith(UPLOAD_TEMP_PREFIX);
}
