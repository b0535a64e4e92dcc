"""The identifying-data checker over a corpus: every format of identifying detail, in several
French variants, is refused; ordinary practice notes full of numbers (durations, ages, articles
of the code, pages, studies, percentages, times) are accepted."""

from __future__ import annotations

import pytest

from app.core import identifying as i

IDENTIFYING = [
    # full dates, with or without separators
    ("Vu au tribunal le 03/04/1985.", i.FULL_DATE),
    ("Audience du 3-4-85 reportée.", i.FULL_DATE),
    ("Rendez-vous fixé au 03.04.2024 à 10h.", i.FULL_DATE),
    ("Dossier ouvert le 1985-04-03.", i.FULL_DATE),
    ("Référence 19850403 à rappeler.", i.FULL_DATE),
    ("Sortie prévue 03041985 selon le greffe.", i.FULL_DATE),
    ("Incarcéré depuis le 3 avril 1985.", i.FULL_DATE),
    ("Audience le 1er mars 2024, à revoir.", i.FULL_DATE),
    ("Convocation du 12 / 03 / 2024.", i.FULL_DATE),
    # dates of birth
    ("Monsieur D., né le 12/03/1985, a bien accroché.", i.BIRTH_DATE),
    ("Personne née en 1990, très réceptive.", i.BIRTH_DATE),
    ("Il est né en 1985 à Lyon.", i.BIRTH_DATE),
    ("Né à Marseille, suivi depuis deux ans.", i.BIRTH_DATE),
    ("DDN 1985-04-03, bonne adhésion.", i.BIRTH_DATE),
    ("ddn : 3/4/85", i.BIRTH_DATE),
    ("D.D.N. 19850403", i.BIRTH_DATE),
    ("Date de naissance : 03041985.", i.BIRTH_DATE),
    ("Né(e) le 3 avril, très investi.", i.BIRTH_DATE),
    ("nee le 12 mars", i.BIRTH_DATE),
    # écrou and matricule
    ("Numéro d'écrou 123456 : à revoir.", i.PRISON_NUMBER),
    ("ecrou 123456", i.PRISON_NUMBER),
    ("n° d'écrou : 12 345", i.PRISON_NUMBER),
    ("numéro d'écrou : 12 345 à la maison d'arrêt", i.PRISON_NUMBER),
    ("N.E. 45678 transféré au CD.", i.PRISON_NUMBER),
    ("Ecrou n°2019/1234 au CP.", i.PRISON_NUMBER),
    ("écrou num. 12.345", i.PRISON_NUMBER),
    ("Matricule 784512 au centre de détention.", i.REGISTER_NUMBER),
    ("n° de matricule : A12345", i.REGISTER_NUMBER),
    ("Son numéro de matricule est le 45 123.", i.REGISTER_NUMBER),
    # phone numbers
    ("Le joindre au 06 12 34 56 78 avant l'entretien.", i.PHONE),
    ("Tél. 0612345678", i.PHONE),
    ("Portable : +33 6 12 34 56 78.", i.PHONE),
    ("Appeler le +33 (0)6 12 34 56 78.", i.PHONE),
    ("Joignable au 0033 612 345 678.", i.PHONE),
    ("tel 06.12.34.56.78", i.PHONE),
    ("Numéro : 06-12-34-56-78", i.PHONE),
    ("Fixe 01 2345 6789, le matin.", i.PHONE),
    ("+336 12 34 56 78", i.PHONE),
    ("En Belgique : +32 470 12 34 56.", i.PHONE),
    # e-mail addresses
    ("Écrire à jean.dupont@exemple.fr pour le suivi.", i.EMAIL),
    ("Son adresse jean@gmail, à vérifier.", i.EMAIL),
    ("Contact : jean.dupont(at)gmail.com", i.EMAIL),
    ("jean [at] orange.fr", i.EMAIL),
    ("mail : jean at gmail.com", i.EMAIL),
    ("jean.dupont arobase laposte point net", i.EMAIL),
    ("jean.dupont @ free.fr", i.EMAIL),
    # NIR
    ("NIR 1 85 03 75 123 456 78 vérifié.", i.NIR),
    ("Sécu : 185037512345678", i.NIR),
    ("Numéro de sécurité sociale 2 85 03 2A 123 456 78.", i.NIR),
    ("NIR 185032B012345", i.NIR),
    ("n° SS 2.90.12.13.055.123.45", i.NIR),
    # street addresses
    ("Il habite 12 rue des Lilas.", i.ADDRESS),
    ("Domicilié 3 bis avenue Jean Jaurès.", i.ADDRESS),
    ("Hébergé au 5 bd Voltaire chez sa sœur.", i.ADDRESS),
    ("Adresse : 8 chemin de la Croix Blanche.", i.ADDRESS),
    ("Vit 2 impasse du Moulin depuis mai.", i.ADDRESS),
    ("4 allée des Tilleuls, au rez-de-chaussée.", i.ADDRESS),
    ("Rendez-vous 1 place de la République.", i.ADDRESS),
    ("12, rue des lilas", i.ADDRESS),
    ("Au 7 ter quai de Seine.", i.ADDRESS),
    ("Habite 75011 Paris.", i.ADDRESS),
    ("14 cours Mirabeau", i.ADDRESS),
    # a name after a civility
    ("Rencontré M. Martin ce matin.", i.NAME),
    ("Mme Dupont a bien accroché à l'outil.", i.NAME),
    ("Mlle Bernard était absente.", i.NAME),
    ("Monsieur Durand a fini le programme.", i.NAME),
    ("Madame Leroy souhaite continuer.", i.NAME),
    ("M. DUPONT n'est pas venu.", i.NAME),
    ("Mr Thomas, très motivé.", i.NAME),
    ("Avec Mademoiselle Petit, 3 séances.", i.NAME),
]

ORDINARY = [
    "Très utile en 3 séances de 45 minutes, dès le 2e entretien.",
    "Séance de 45 minutes, puis 3 fois 20 min en groupe.",
    "Pour les 18–25 ans, à adapter aux 18-25 ans en milieu ouvert.",
    "Convient aux jeunes de 16 à 25 ans.",
    "Obligation de soins au titre de l'article 132-45 du code pénal.",
    "Violences : art. 222-13 du code pénal.",
    "Injonction thérapeutique : L. 3413-1 du CSP.",
    "Aménagement de peine (art. 723-15 CPP) et article R. 57-6-1.",
    "Programme en 12 séances, 2 h chacune.",
    "Voir p. 12-15 du manuel, et pp. 120-135.",
    "Selon une étude de 2012 sur la récidive.",
    "Effet modéré dans la méta-analyse (Lipsey, 2009).",
    "Andrews et Bonta 2010 : le modèle RBR.",
    "Cité par (Martin, 2010) et par Dubois et al. (2015).",
    "Baisse de 15 % des réitérations, 5 à 10 % selon les études.",
    "Support en version 2.1, mis à jour en 2024.",
    "Entretien à 14h30, puis à 16 h.",
    "Le 1er entretien sert à poser le cadre.",
    "Madame la juge d'application des peines a validé le programme.",
    "M. le directeur du SPIP soutient le projet.",
    "Mme la JAP demande un suivi renforcé.",
    "Présenté à Monsieur le procureur.",
    "M. D. a bien accroché, Mme X. aussi.",
    "Utilisé le 12/03 avec un groupe de 8 personnes ; version 2024 du support.",
    "Score AUDIT de 14 à 9 en trois mois.",
    "3 places disponibles par session, 1 place réservée.",
    "2 cours de yoga par semaine en complément.",
    "Lire 2 bd sur le sujet avec le groupe.",
    "La levée d'écrou est prévue en 2025 : préparer la sortie.",
    "Travail sur le chemin de la désistance.",
    "Né à l'étranger, la barrière de la langue compte : adapter les supports.",
    "Public : personnes nées en France ou ailleurs.",
    "Résultats à 6 mois, 12 mois et 24 mois.",
    "Échelle de 0 à 10, cotée à chaque séance.",
    "Fiche 3.2 du classeur, exercice 4.",
    "Groupe de 6 à 8 participants, 10 séances de 2 heures.",
    "Durée totale : 1 200 minutes sur 3 mois.",
    "Sortie sèche après 18 mois de détention.",
    "Travail sur les 4 étapes du changement (Prochaska et DiClemente, 1982).",
    "Questionnaire de 20 items, passation de 10 min.",
    "Entretiens de 30 à 45 min, 1 fois par semaine.",
    "Outil testé au SPIP 75 et au SPIP 13.",
    "Appel à la ligne d'écoute 3919 si besoin.",
    "Taux de 0,8 sur l'échelle, contre 1,2 avant.",
    "Un @ dans le support imprimé, séance @ 14h.",
    "Réunion le 3 mars 20 minutes avant le groupe.",
    "Il habite en foyer depuis 2 ans, une résidence sociale.",
    "1 résidence autonomie a accueilli le groupe.",
    "Article 41-1 du CPP, alternatives aux poursuites.",
    "Depuis la loi du 23 mars 2019 et la loi n° 2014-896 du 15 août 2014.",
    "Circulaire du 19/03/2019 sur la contrainte pénale ; décret du 2019-03-19.",
]


@pytest.mark.parametrize("text, detail", IDENTIFYING)
def test_identifying_texts_are_refused_naming_what_to_remove(text, detail):
    found = i.identifying_details(text)
    assert detail in found, found
    message = i.identifying_refusal(text, "Le commentaire")
    assert message is not None and message.startswith("Le commentaire semble contenir")
    assert detail in message


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_practice_texts_are_accepted(text):
    assert i.identifying_details(text) == []
    assert i.identifying_refusal(text) is None


def test_the_corpus_is_large_enough_and_covers_every_detail():
    assert len(IDENTIFYING) >= 40 and len(ORDINARY) >= 40
    assert {detail for _text, detail in IDENTIFYING} == set(i.ORDER)
    for detail in i.ORDER:
        assert sum(d == detail for _t, d in IDENTIFYING) >= 3, detail
