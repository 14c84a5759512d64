"""What every part of the app shares: its settings (later also security and logging)."""
