export const PACKAGE_NAME = '@autod/vector-store';
