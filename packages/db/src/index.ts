export const PACKAGE_NAME = '@autod/db';
