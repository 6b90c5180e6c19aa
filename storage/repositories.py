"""Domain operations on repositories: a project's repository and where it lives on a workstation.

A repository is known to the project once (``project_repositories``, replicated to everyone) and
linked per workstation to a local checkout (``workstation_repositories``: the path on that machine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import NotFoundError, ValidationError
from storage.ids import derived_id
from storage.models import Project, ProjectRepository, WorkstationRepository
from storage.rows import fetch_row

project_repos = ProjectRepository.__table__
ws_repos = WorkstationRepository.__table__


@dataclass(frozen=True)
class RepositoryLink:
    """A project repository together with its checkout on one workstation (if linked there)."""

    repository: ProjectRepository
    local: WorkstationRepository | None

    @property
    def id(self) -> str:
        return self.repository.id

    @property
    def name(self) -> str:
        return self.repository.name

    @property
    def main_path(self) -> str | None:
        return self.local.main_path if self.local else None


def _name(value: object) -> str:
    name = validation.title(value, "repository name", 100)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ValidationError("repository name", f"{name!r} must not contain '/' or be '.'/'..'")
    return name


async def _project(conn: AsyncConnection, project_id: str) -> dict[str, Any]:
    table = Project.__table__
    row = (
        (await conn.execute(select(table).where(table.c.id == project_id))).mappings().one_or_none()
    )
    if row is None or row["deleted"]:
        raise NotFoundError("project", project_id)
    return dict(row)


async def link_repository(
    db: Database,
    project_id: str,
    workstation_id: str,
    *,
    name: str,
    main_path: str,
    default_branch: str,
    max_concurrent_missions: int | None = None,
) -> RepositoryLink:
    """Link a local checkout; relinking the same name updates its path and branch."""
    name = _name(name)
    async with db.write() as conn:
        project = await _project(conn, project_id)
        writer = ChangeWriter(db, conn)
        existing = (
            (
                await conn.execute(
                    select(project_repos)
                    .where(
                        project_repos.c.project_id == project_id,
                        project_repos.c.name == name,
                        project_repos.c.deleted.is_(False),
                    )
                    # Duplicates from an unfolded merge: the one the fold keeps (lowest id).
                    .order_by(project_repos.c.id)
                    .limit(1)
                )
            )
            .mappings()
            .one_or_none()
        )
        repo_values: dict[str, Any] = {"default_branch": default_branch}
        if max_concurrent_missions is not None:
            if max_concurrent_missions < 1:
                raise ValidationError("max concurrent missions", "must be 1 or more")
            repo_values["max_concurrent_missions"] = max_concurrent_missions
        if existing is None:
            # Derived from (project, name): two replicas linking one name make one row.
            repo_id = derived_id(project_repos.name, project_id, name)
            buried = (
                await conn.execute(select(project_repos.c.id).where(project_repos.c.id == repo_id))
            ).scalar_one_or_none()
            if buried is not None:  # the same name linked, removed, and now linked again
                await writer.update(project_repos, repo_id, {**repo_values, "deleted": False})
            else:
                await writer.insert(
                    project_repos,
                    {
                        "id": repo_id,
                        "organization_id": project["organization_id"],
                        "project_id": project_id,
                        "name": name,
                        **repo_values,
                    },
                )
        else:
            repo_id = existing["id"]
            await writer.update(project_repos, repo_id, repo_values)
        local = (
            (
                await conn.execute(
                    select(ws_repos).where(
                        ws_repos.c.workstation_id == workstation_id,
                        ws_repos.c.project_repository_id == repo_id,
                    )
                )
            )
            .mappings()
            .one_or_none()
        )
        local_values = {"main_path": main_path, "main_branch": default_branch, "deleted": False}
        if local is None:
            await writer.insert(
                ws_repos,
                {
                    "organization_id": project["organization_id"],
                    "workstation_id": workstation_id,
                    "project_repository_id": repo_id,
                    "clone_status": "ready",
                    **local_values,
                },
            )
        else:
            await writer.update(ws_repos, local["id"], local_values)
    return await get_repository(db, repo_id, workstation_id)


async def _local(
    conn: AsyncConnection, repo_id: str, workstation_id: str
) -> WorkstationRepository | None:
    row = (
        (
            await conn.execute(
                select(ws_repos).where(
                    ws_repos.c.workstation_id == workstation_id,
                    ws_repos.c.project_repository_id == repo_id,
                    ws_repos.c.deleted.is_(False),
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return WorkstationRepository(**dict(row)) if row else None


async def get_repository(db: Database, repo_id: str, workstation_id: str) -> RepositoryLink:
    async with db.read() as conn:
        row = (
            (await conn.execute(select(project_repos).where(project_repos.c.id == repo_id)))
            .mappings()
            .one_or_none()
        )
        if row is None or row["deleted"]:
            raise NotFoundError("repo", repo_id)
        return RepositoryLink(
            ProjectRepository(**dict(row)), await _local(conn, repo_id, workstation_id)
        )


async def project_repository(db: Database, repo_id: str | None) -> ProjectRepository | None:
    """The project repository ``repo_id`` as stored (even deleted), or None."""
    if not repo_id:
        return None
    async with db.read() as conn:
        row = (
            (await conn.execute(select(project_repos).where(project_repos.c.id == repo_id)))
            .mappings()
            .one_or_none()
        )
    return ProjectRepository(**dict(row)) if row else None


async def checkout_path(db: Database, workstation_repository_id: str) -> str | None:
    """Where a workstation's checkout lives (its ``main_path``), or None when unknown."""
    query = select(ws_repos.c.main_path).where(ws_repos.c.id == workstation_repository_id)
    async with db.read() as conn:
        return (await conn.execute(query)).scalar_one_or_none()


async def list_repositories(
    db: Database, project_id: str, workstation_id: str
) -> list[RepositoryLink]:
    """The project's repositories, oldest first (the first one is the default)."""
    query = (
        select(project_repos)
        .where(project_repos.c.project_id == project_id, project_repos.c.deleted.is_(False))
        .order_by(project_repos.c.created_at, project_repos.c.id)
    )
    async with db.read() as conn:
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        return [
            RepositoryLink(ProjectRepository(**row), await _local(conn, row["id"], workstation_id))
            for row in rows
        ]


async def find_repository(
    db: Database, project_id: str, workstation_id: str, name: str
) -> RepositoryLink:
    for link in await list_repositories(db, project_id, workstation_id):
        if link.name == name or link.id == name:
            return link
    raise NotFoundError("repo", name)


async def default_repository(
    db: Database, project_id: str, workstation_id: str
) -> RepositoryLink | None:
    """The repository a mission without one runs in: the first one linked to the project."""
    links = await list_repositories(db, project_id, workstation_id)
    return links[0] if links else None


REPOSITORY_SETTINGS = frozenset({"copy_files", "setup_script", "cleanup_script"})


def _argv(value: object, field: str) -> list[str] | None:
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise ValidationError(field, "must be a list of non-empty strings (an argv list)")
    return list(value)


async def update_repository_settings(
    db: Database, repo_id: str, **settings: object
) -> ProjectRepository:
    """Set ``copy_files`` (glob patterns), ``setup_script`` / ``cleanup_script`` (argv lists)."""
    unknown = set(settings) - REPOSITORY_SETTINGS
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), "is not a repository setting")
    values: dict[str, Any] = {}
    if "copy_files" in settings:
        patterns = settings["copy_files"] or []
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ValidationError("copy_files", "must be a list of glob patterns")
        if any(".." in p.split("/") or p.startswith("/") for p in patterns):
            raise ValidationError("copy_files", "patterns must stay inside the repository")
        values["copy_files"] = [p for p in patterns if p.strip()] or None
    for key in ("setup_script", "cleanup_script"):
        if key in settings:
            values[key] = _argv(settings[key], key)
    table = ProjectRepository.__table__
    async with db.write() as conn:
        exists = (
            await conn.execute(select(table.c.id).where(table.c.id == repo_id))
        ).scalar_one_or_none()
        if exists is None:
            raise NotFoundError("repo", repo_id)
        await ChangeWriter(db, conn).update(table, repo_id, values)
        row = (await conn.execute(select(table).where(table.c.id == repo_id))).mappings().one()
    return ProjectRepository(**dict(row))


_GITHUB_PART = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


async def set_github_repository(
    db: Database, repo_id: str, owner: str | None, name: str | None, url: str | None = None
) -> ProjectRepository:
    """Name the GitHub repository a project repository lives in (None, None: forget it)."""
    for field, value in (("GitHub owner", owner), ("GitHub name", name)):
        if value is not None and not _GITHUB_PART.match(value):
            raise ValidationError(
                field, f"{value!r} is not a GitHub name (letters, digits, '-', '_', '.')"
            )
    if (owner is None) != (name is None):
        raise ValidationError("GitHub repository", "give both owner and name (OWNER/NAME)")
    table = ProjectRepository.__table__
    async with db.write() as conn:
        await fetch_row(conn, table, repo_id, "repo")
        await ChangeWriter(db, conn).update(
            table, repo_id, {"github_owner": owner, "github_name": name, "github_url": url}
        )
        return ProjectRepository(**await fetch_row(conn, table, repo_id, "repo"))
