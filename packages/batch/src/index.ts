export const PACKAGE_NAME = '@autod/batch';
