from dossiers import services as dossiers
from mailing.tasks import durable_task, periodic_task


@durable_task()
def dossier_build(*, dossier_id: int) -> None:
    dossiers.dossier_build(dossier_id=dossier_id)


@periodic_task()
def dossiers_resume() -> int:
    return dossiers.dossiers_resume()
