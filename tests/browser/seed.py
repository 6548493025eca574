"""Records for the end-to-end tests: a broker, an enterprise, patents and two reviewed pairs."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus, Match, Organization, OrgKind, Patent, Role, User
from tests import factories as f
from tests.pairs import EXPLANATION

PASSWORD = "e2e-password-1"
PATENTS = [
    ("CN114000001A", "一种高矫顽力烧结钕铁硼磁体的制备方法",
     "本发明公开了一种高矫顽力烧结钕铁硼磁体的制备方法，通过晶界扩散重稀土，降低重稀土用量，提高矫顽力。"),
    ("CN114000002A", "一种稀土抛光粉的回收方法",
     "本发明涉及稀土抛光粉废料的回收，采用酸浸和沉淀工艺，回收率高，成本低。"),
    ("CN114000003A", "一种风电叶片复合材料的热解回收装置",
     "本实用新型公开了一种风电叶片复合材料热解回收装置，能耗低，纤维回收完整。"),
    ("CN114000004A", "一种煤矸石制备陶粒的方法",
     "本发明利用煤矸石为原料制备轻质陶粒，工艺简单，固废利用率高。"),
]


def _user(username: str, role: Role, display: str, org=None) -> User:
    user = User(username=username, display_name=display, role=role, organization=org, active=True)
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def seed() -> dict:
    """Write the records, build the indexes with the fake encoder; returns the ids to use."""
    enterprise = Organization(kind=OrgKind.ENTERPRISE, name="包头稀土磁材有限公司",
                              region_league="包头市", contact_phone="0472-5550001")
    university = Organization(kind=OrgKind.UNIVERSITY, name="内蒙古科技大学",
                              region_league="包头市", contact_phone="0472-5550002")
    db.session.add_all([enterprise, university])
    broker = _user("e2e-broker", Role.BROKER, "王经纪")
    _user("e2e-enterprise", Role.ENTERPRISE, "赵经理", enterprise)
    _user("e2e-admin", Role.ADMIN, "管理员")
    professor = _user("e2e-university", Role.UNIVERSITY, "孙老师", university)
    patents = []
    for number, title, abstract in PATENTS:
        patent = Patent(publication_number=number, title=title, abstract=abstract,
                        owner=university, technical_field="新材料", dormant=True)
        patent.ipc_codes = ["H01F 1/057"] if "钕铁硼" in title else ["C22B 59/00"]
        db.session.add(patent)
        patents.append(patent)
    need = f.need("烧结钕铁硼磁体降本需求", enterprise=enterprise, region_league="包头市",
                  technical_field="新材料")
    other = f.need("稀土废料综合利用需求", enterprise=enterprise, region_league="包头市",
                   keywords=["稀土", "回收"])
    to_sign = Match(need=need, patent=patents[0], score=0.86, rank=1, explanation=dict(EXPLANATION),
                    channel_scores={"use-multilingual": {"score": 0.71, "rank": 1}})
    to_reject = Match(need=other, patent=patents[3], score=0.41, rank=3,
                      explanation={"shared_terms": ["利用"], "rules": [], "closest_sentences": []})
    db.session.add_all([to_sign, to_reject])
    db.session.commit()
    from matchmaker.services.matching import rebuild_indexes

    rebuild_indexes()
    report = _import_report(professor)
    return {"to_sign": to_sign.id, "to_reject": to_reject.id, "broker": broker.id,
            "need": need.id, "patent": patents[0].id, "enterprise": enterprise.id,
            "import_job": report.id, "handed_share": _handed_share(report).id}


#: An upload with a bad date, a bad publication number and an empty title: the report page shows
#: one reason of each kind (values in the cells are ASCII, so only the reasons carry language).
IMPORT = ("公开号,专利名称,摘要,申请日\n"
          "CN119000101A,一种稀土抛光粉回收方法,本发明公开了一种回收方法。,2021-02-30\n"
          "BAD-NUMBER,一种坏行,本发明公开了一种坏行。,2021-03-05\n"
          "CN119000102A,,本发明公开了一种没有名称的方法。,2021-03-05\n").encode()


def _handed_share(importer: Job) -> Job:
    """A follow-up share of ``importer`` that handed its other records on to the next share
    for a need posted meanwhile (its page says so, with a link)."""
    then = Job(kind="index_imported", created_by_id=importer.created_by_id,
               status=JobStatus.QUEUED, params={"kind": "patents", "ids": [3, 4],
                                                "created": [], "import_job": importer.id})
    db.session.add(then)
    db.session.flush()
    share = Job(kind="index_imported", created_by_id=importer.created_by_id,
                status=JobStatus.SUCCEEDED, attempts=1, progress_done=2, progress_total=2,
                params={"kind": "patents", "ids": [1, 2], "created": [],
                        "import_job": importer.id, "then": then.id},
                result={"records": 2, "stored": 6, "announced": 0, "warnings": [],
                        "handed_over": {"job": then.id, "records": 2}})
    db.session.add(share)
    db.session.commit()
    return share


def _import_report(owner: User) -> Job:
    """A finished import job whose report the owner (and an admin) can open (/jobs/<id>)."""
    from matchmaker.ingest import import_patents
    from matchmaker.jobs.imports import report

    result = import_patents(IMPORT, "patents.csv", dry_run=True)
    job = Job(kind="import_patents", created_by_id=owner.id, status=JobStatus.SUCCEEDED,
              params={"filename": "patents.csv"}, result=report(result), attempts=1)
    db.session.add(job)
    db.session.commit()
    return job
