export const PACKAGE_NAME = '@autod/cli';
