/** The first line of every file the package writes whole. */
export const MANAGED_HEADER = "# Managed by pulumi-onprem: changes made here are reverted by the next `pulumi up`.";
