export const PACKAGE_NAME = '@autod/pipeline';
