export const PACKAGE_NAME = '@mi-datagram/server';
