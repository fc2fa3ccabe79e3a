export const PACKAGE_NAME = '@autod/server';
