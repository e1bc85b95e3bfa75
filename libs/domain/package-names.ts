/**
 * A Debian package name as Debian policy (5.6.1) allows it: lower-case letters, digits, `+`, `-`
 * and `.`, at least two characters, starting with a letter or digit. A name never starts with `-`,
 * so apt cannot take it for an option; ansible/tasks/site-data.yml checks the same pattern.
 */
export const debianPackagePattern = /^[a-z0-9][a-z0-9+.-]+$/;

/** Longer than any package in Debian's archive. */
export const maxPackageNameLength = 100;
