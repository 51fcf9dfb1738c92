/**
 * Uploads are written beside their target under a hidden temporary name and renamed into place
 * when complete. Listings leave these names out for everyone: a half-written file is nobody's to see.
 * Nor may a client name one (access-policy.ts): it could read another session's upload as it is
 * written, or store files of its own under such names, which no listing would ever show.
 */
export const UPLOAD_TEMP_PREFIX = '.classicd-upload-';

export function isUploadTempName(name: string): boolean {
  return name.startsWith(UPLOAD_TEMP_PREFIX);
}

/** Whether any component of the virtual path `virtualPath` (absolute, `/`-separated) is such a name. */
export function namesUploadTemp(virtualPath: string): boolean {
  return virtualPath.includes(`/${UPLOAD_TEMP_PREFIX}`);
}
