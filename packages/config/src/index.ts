export const PACKAGE_NAME = '@autod/config';
