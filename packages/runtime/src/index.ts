export const PACKAGE_NAME = '@autod/runtime';
