import os
import random
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from letters.models import Letter, LetterVersion, Membership
from letters.translations import translation_create
from mailing.addresses import email_normalize
from signatories import counters
from signatories.events import count_event_add
from signatories.figures import local_day
from signatories.models import CountEvent, Signature

SLUG = "credit-consent-compensation"

BODY = """\
We draw, act, write, compose, photograph and animate for a living. Our work is how we pay
rent, and it is also how we say who we are. This letter is about what happens to that work
when it is copied, without a question, into systems built to imitate it.

## What we ask

1. **Consent first.** No one's work should be used to train a generative model unless they
   said yes, in a way they could have said no to.
2. **Credit that can be checked.** Companies should publish what they trained on, so that
   any of us can find out whether our work is in there.
3. **Payment that is real.** Where work is used with permission, the people who made it
   should share in what it earns, not receive a one-off click-through.

## Why now

Tools that produce a passable picture, voice or paragraph in seconds are already in the
studios, agencies and publishers who hire us. Some of us have seen our own style offered
back to our clients under another name. We are not against new tools; many of us use them.
We are against a bargain that nobody offered us.

## Who signs

Anyone whose creative work is part of their living, and everyone who works beside them:
editors, agents, technicians, teachers. Sign with your name, or be counted without it: many
of us work under contracts that make speaking out risky, and a number can speak for us.

*Signatures are confirmed by email before they count. Addresses are never published.*
"""

# The demo letter in French too, so that `make run` shows a letter in two languages
# ("Also in", ?lang=fr, one shared count).
FRENCH = {
    "title": "Crédit, consentement et rémunération pour le travail créatif",
    "summary": "Des personnes qui vivent de ce qu'elles créent demandent que leur travail "
    "ne serve à entraîner une IA qu'avec leur accord, leur nom et leur part.",
    "body": """\
Nous dessinons, jouons, écrivons, composons, photographions et animons pour gagner notre
vie. Notre travail paie notre loyer, et il dit aussi qui nous sommes. Cette lettre parle de
ce qu'il devient quand il est copié, sans qu'on nous demande rien, dans des systèmes conçus
pour l'imiter.

## Ce que nous demandons

1. **D'abord le consentement.** Le travail de personne ne devrait servir à entraîner un
   modèle génératif sans un oui donné librement, là où un non était possible.
2. **Un crédit vérifiable.** Les entreprises devraient publier ce sur quoi elles ont
   entraîné leurs modèles, pour que chacun de nous puisse savoir si son travail s'y trouve.
3. **Une rémunération réelle.** Quand un travail est utilisé avec permission, celles et
   ceux qui l'ont fait devraient partager ce qu'il rapporte, pas cocher une case une fois.

## Pourquoi maintenant

Des outils qui produisent en quelques secondes une image, une voix ou un paragraphe
passables sont déjà dans les studios, agences et maisons d'édition qui nous emploient.
Certains d'entre nous ont vu leur propre style proposé à leurs clients sous un autre nom.
Nous ne sommes pas contre les nouveaux outils ; beaucoup d'entre nous s'en servent. Nous
sommes contre un marché que personne ne nous a proposé.

## Qui signe

Toute personne dont le travail créatif fait partie de son gagne-pain, et tous ceux qui
travaillent à ses côtés : éditeurs, agents, techniciens, enseignants. Signez de votre nom,
ou soyez compté sans lui : beaucoup d'entre nous ont des contrats qui rendent la prise de
parole risquée, et un nombre peut parler pour nous.

*Les signatures sont confirmées par e-mail avant d'être comptées. Les adresses ne sont
jamais publiées.*
""",
}

FIRST = [
    "Amara",
    "Jonas",
    "Lucía",
    "Mei",
    "Tomasz",
    "Nadia",
    "Kwame",
    "Ingrid",
    "Ravi",
    "Sofia",
    "Émile",
    "Hana",
    "Diego",
    "Olu",
    "Freya",
    "Yusuf",
    "Camille",
    "Bao",
    "Petra",
    "Idris",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreno",
    "Tanaka",
    "Kowalski",
    "Haddad",
    "Mensah",
    "Berg",
    "Iyer",
    "Rossi",
    "Laurent",
    "Sato",
    "Ferreira",
    "Adeyemi",
    "Nakamura",
    "Novak",
]
ROLES = [
    "Illustrator",
    "Voice actor",
    "Novelist",
    "Composer",
    "Concept artist",
    "Translator",
    "Photographer",
    "Animator",
    "Session musician",
    "Screenwriter",
    "Comic artist",
    "Editor",
]
COUNTRIES = ["GB", "DE", "FR", "ES", "JP", "PL", "NG", "SE", "IN", "IT", "US", "CA", "BR", "KE"]


class Command(BaseCommand):
    help = (
        "Create the demo letter with a few dozen confirmed signatures; with --admin, also a "
        "demo admin whose password is printed."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--signatures", type=int, default=40)
        parser.add_argument(
            "--admin",
            action="store_true",
            help="Also create a superuser 'admin' (admin@example.org) owning the demo letter and "
            "print its password. Never by default: on a public site it is a known account.",
        )

    @transaction.atomic
    def handle(self, *args: object, signatures: int, admin: bool, **options: object) -> None:
        letter, created = Letter.objects.get_or_create(
            slug=SLUG,
            defaults={
                "title": "Credit, consent and compensation for creative work",
                "summary": "People who make things for a living ask that their work be used "
                "to train AI only with their consent, their credit and their share.",
                "organizer_name": "Makers for Fair Credit",
                "addressee": "Companies that train AI on creative work",
                "body": BODY,
                "status": Letter.Status.PUBLISHED,
                "published_at": timezone.now() - timedelta(days=3),
                "goal": 1000,
                "invited_signers": "artists, performers, writers, musicians and those who "
                "work with them",
                "ask_comment": True,
            },
        )
        if created:
            letter.current_version = LetterVersion.objects.create(
                letter=letter,
                language=letter.language,
                number=1,
                title=letter.title,
                body=letter.body,
            )
            letter.save(update_fields=["current_version"])
            translation_create(letter=letter, user=None, language="fr", fields=FRENCH)
            self._signatures(letter, signatures)
        counters.counts_forget(letter_id=letter.pk)
        counts = counters.counts_rebuild(letter_id=letter.pk, expected=None)
        self.stdout.write(f"Demo letter: /letters/{letter.slug}/ ({counts.all} signatures)")
        if admin:
            self._admin(letter)

    def _signatures(self, letter: Letter, number: int) -> None:
        rng = random.Random(2026)  # noqa: S311 - demo data, not security
        now = timezone.now()
        rows = []
        for i in range(number):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"demo{i}@example.org"
            at = now - timedelta(minutes=rng.randint(5, 3 * 24 * 60))
            rows.append(
                Signature(
                    letter=letter,
                    name=name,
                    email=email,
                    email_normalized=email_normalize(email=email),
                    role=rng.choice(ROLES),
                    country=rng.choice(COUNTRIES),
                    show_name=rng.random() > 0.15,
                    consent_version="demo",
                    status=Signature.Status.CONFIRMED,
                    confirmed_at=at,
                )
            )
        Signature.objects.bulk_create(rows)
        # The count's event log, as the confirmations would have written it: one event
        # per day here, so that the daily figures and the chart have something to show.
        days: dict[date, list[datetime]] = {}
        for row in rows:
            assert row.confirmed_at is not None
            days.setdefault(local_day(row.confirmed_at, letter.time_zone), []).append(
                row.confirmed_at
            )
        for _day, times in sorted(days.items()):
            count_event_add(
                letter_id=letter.pk, kind=CountEvent.Kind.CONFIRM, delta=len(times),
                occurred_at=min(times),
            )  # fmt: skip

    def _admin(self, letter: Letter) -> None:
        """Create the admin once; its password is kept in var/ so every run can print it."""
        User = get_user_model()
        saved = Path(settings.VAR_DIR) / "demo_admin_password"
        if not User.objects.filter(username="admin").exists():
            password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", "admin@example.org", password)
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(password)
            saved.chmod(0o600)
        password = saved.read_text() if saved.exists() else "(set when it was created)"
        self.stdout.write(f"Demo admin: /admin/ username admin, password {password}")
        # The admin also organizes the demo letter: log in at /accounts/login/ by email.
        from allauth.account.models import EmailAddress

        admin = User.objects.get(username="admin")
        EmailAddress.objects.get_or_create(
            user=admin, email=admin.email, defaults={"verified": True, "primary": True}
        )
        Membership.objects.get_or_create(
            letter=letter, user=admin, defaults={"role": Membership.Role.OWNER}
        )
        self.stdout.write(f"Organizer: /organize/ after logging in as {admin.email}")
