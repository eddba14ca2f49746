"""Research releases: k-anonymous, l-diverse microdata plus the protected tables, each
release under its own pseudonym domain (unlinkable to reporting and to other releases)."""
