"""Real-time features: the chat rooms of chapter 20 (WebSockets), and their page."""
