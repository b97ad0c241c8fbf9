"""Where the shipped site files live, in a checkout and in an installed package alike."""

from pathlib import Path

# Package data sits next to the modules (pyproject ships *.yaml and *.csv), so no
# importlib.resources extraction is needed: the package is never installed zipped.
SITES_DIR = Path(__file__).resolve().parent / "sites"


def demo_site_path() -> Path:
    """The bundled demo site file (Aoba City Hall)."""
    return SITES_DIR / "cityhall.yaml"


def demo_staff_path() -> Path:
    """The bundled demo staff directory: 2,000 fictional people, as CSV."""
    return SITES_DIR / "cityhall-staff.csv"
