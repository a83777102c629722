export const PACKAGE_NAME = '@mi-datagram/transport-udp';
