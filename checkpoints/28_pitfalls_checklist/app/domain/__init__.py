"""The app's rules in its own words: what the services raise, with no HTTP in sight."""
