export const PACKAGE_NAME = '@autod/api-client';
