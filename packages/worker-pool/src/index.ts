export const PACKAGE_NAME = '@mi-datagram/worker-pool';
