export const PACKAGE_NAME = '@autod/ops';
