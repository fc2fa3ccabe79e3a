export const PACKAGE_NAME = '@autod/testkit';
