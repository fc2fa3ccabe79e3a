export const PACKAGE_NAME = '@autod/extract';
