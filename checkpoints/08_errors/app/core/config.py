"""The app's settings, in one place.

A plain, frozen object for now: chapter 21 replaces it with pydantic-settings,
which reads the same names from the environment and from a .env file.
"""

from dataclasses import dataclass

from app import __version__


@dataclass(frozen=True)
class Settings:
    PROJECT_NAME: str = "FastAPI Mastery Workbook"
    VERSION: str = __version__
    API_V1_PREFIX: str = "/api/v1"
    # Secure cookies travel over HTTPS only: True wherever the app is served over HTTPS.
    # False here so that the cookie works on http://127.0.0.1 while you develop.
    COOKIE_SECURE: bool = False


settings = Settings()
