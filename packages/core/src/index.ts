export const PACKAGE_NAME = '@autod/core';
