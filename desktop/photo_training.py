"""Multi-crop training on photo files: the bundled photos, plus the lecturer's files and folders.

The engine trains on arrays (engine.photos); this module decodes the files with Qt's reader
(widgets.image_loading, imported only when a photo is read, so the command line loads no Qt until
it trains). A file that cannot be used is refused with its reason; training goes on with the rest.
"""
from __future__ import annotations

from pathlib import Path

from engine.ablation import AblationSimulation
from engine.locals_ablation import LocalsAblation
from engine.multicrop_training import MultiCropSimulation
from engine.params import ParameterError
from engine.photos import PhotoSet, PhotoSetError
from resources.paths import IMAGE_SUFFIXES, bundled_images

# Suffixes a folder is searched for (Qt reads more, but a folder's other files are not meant as photos).
FOLDER_SUFFIXES = IMAGE_SUFFIXES + (".bmp", ".gif", ".webp", ".tif", ".tiff")
MAX_FOLDER_PHOTOS = 200  # a folder of a whole holiday would make every evaluation slow


def read_photos(paths: list[Path]) -> tuple[list[tuple[str, object]], list[str]]:
    """Decode each file: (name, pixels) for those that can be read, and one line per refused file."""
    from widgets.image_loading import ImageLoadError, load_image

    named, problems = [], []
    for path in paths:
        try:
            image = load_image(path)
        except ImageLoadError as error:
            problems.append(str(error))
            continue
        named.append((image.name, image.array))
    return named, problems


def folder_photos(folder: str | Path) -> tuple[list[Path], list[str]]:
    """The image files directly in ``folder`` (sorted), or a problem line saying why there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], [f"{str(folder)!r} is not a folder"]
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES)
    if not files:
        return [], [f"the folder {str(folder)!r} has no image files ({', '.join(FOLDER_SUFFIXES)})"]
    if len(files) > MAX_FOLDER_PHOTOS:
        return files[:MAX_FOLDER_PHOTOS], [f"the folder {str(folder)!r} has {len(files)} images; "
                                           f"the first {MAX_FOLDER_PHOTOS} are used"]
    return files, []


def photo_set(extra: list[str | Path] = ()) -> PhotoSet:
    """The bundled photos plus ``extra`` files and folders; refused files are listed in ``problems``."""
    paths, problems = list(bundled_images().values()), []
    for item in extra:
        if Path(item).is_dir():
            files, folder_problems = folder_photos(item)
            paths += files
            problems += folder_problems
        else:
            paths.append(Path(item))
    named, read_problems = read_photos(paths)
    photos = PhotoSet.from_arrays(_unique_names(named))
    photos.problems[:0] = problems + read_problems
    return photos


def _unique_names(named: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Two files called cat.jpg in different folders: the second becomes cat (2)."""
    seen: dict[str, int] = {}
    out = []
    for name, pixels in named:
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name} ({seen[name]})", pixels))
    return out


class PhotoMultiCropSimulation(MultiCropSimulation):
    """Multi-crop DINO on the bundled photos and any the lecturer adds (files or folders)."""

    ACCEPTS_PHOTO_FILES = True  # `run multicrop --images FOLDER`

    def __init__(self, photos: PhotoSet | None = None, extra_photos: tuple[str, ...] = (), **params: object):
        self.extra_photos = tuple(str(p) for p in extra_photos)
        try:
            photos = photos or photo_set(list(self.extra_photos))
        except PhotoSetError as error:
            raise ParameterError(str(error)) from None
        super().__init__(photos, **params)

    def set_param(self, name: str, value: object) -> None:
        """``add_photos`` (a list of files or folders) joins them to the training set and restarts
        training on the larger set; the others are the simulation's parameters."""
        if name != "add_photos":
            super().set_param(name, value)
            return
        if isinstance(value, (str, Path)):
            value = [value]
        extra = self.extra_photos + tuple(str(p) for p in value)
        photos = photo_set(list(extra))
        added = len(photos) - len(self.photos)
        refused = photos.problems
        if added > 0:
            self.photos, self.extra_photos = photos, extra
            self.reset()  # a new set of wholes: a fresh start, so every curve is about one set
        if refused or added <= 0:
            joined = f"{added} photo{'s' if added != 1 else ''} joined" if added > 0 else "no photo joined"
            raise ParameterError(f"{joined}; training goes on with {len(self.photos)} photos. "
                                 f"Refused: {'; '.join(refused) or 'nothing new to add'}")


def run_multicrop(steps: int = MultiCropSimulation.DEFAULT_STEPS, seed: int = 0, photos: PhotoSet | None = None,
                  **params: object) -> dict:
    """Train ``steps`` steps at ``seed`` headless; the summary `distill-lab run multicrop --json` prints."""
    simulation = PhotoMultiCropSimulation(photos, seed=seed, **params)
    return simulation.summary(simulation.run(steps))


def locals_ablation(seed: int = 0, steps: int = LocalsAblation.DEFAULT_STEPS) -> dict:
    """Part-to-whole accuracy for each number of local crops, same seed and photos (twin off:
    the 0-locals run is the twin); what `distill-lab ablation multicrop` prints."""
    ablation = LocalsAblation(photo_set(), seed=seed, steps=steps)
    ablation.step(steps)
    return ablation.summary()


class PhotoAblationSimulation(AblationSimulation):
    """The Ablations page's simulation; its multi-crop part decodes the bundled photos when first shown."""

    def __init__(self, **params: object):
        super().__init__(photo_source=photo_set, **params)
