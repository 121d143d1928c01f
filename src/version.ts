/** The release, shown by --version and bound into compiled configs. */
export const VERSION = '0.1.0';
