"""The shipped demo data (ClapNQ, Apache-2.0) and the script that built it."""
