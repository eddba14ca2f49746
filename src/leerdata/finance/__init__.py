"""Finance outputs read from the reporting database: dispute lists, settlement
statements, and the accuracy of the invoice checks against generated truth."""
