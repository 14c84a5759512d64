"""The rules about users: who exists, signing up, changing and deleting an account, and
whose account it is: its user's, or an admin's (chapter 17)."""

from collections.abc import Sequence

from app.core.passwords import new_hash
from app.domain.errors import NotAllowed, NotFound
from app.models import User
from app.repositories.users import UserRepository
from app.schemas.user import Role, UserBase, UserCreate, UserUpdate


def ensure_self_or_admin(user_id: int, caller: User) -> None:
    """NotAllowed unless the caller is the user of that id, or an admin.

    Asked before the record is looked up: a user is refused any id but their own, whether
    it names someone or nobody, so the answer says nothing about other accounts (404 is
    for an admin naming nobody). caller.role is the database row's (get_current_user read
    it), never the token's: a demoted admin is refused at once.
    """
    if caller.role == "admin":
        return
    # The id: an email or a name can change (PATCH), and two users may share a name.
    if caller.id != user_id:
        raise NotAllowed(f"User {user_id} is not your account")


class UserService:
    def __init__(self, users: UserRepository) -> None:
        self.users = users

    async def get(self, user_id: int) -> User:
        """The user with this id; NotFound, naming the id, when there is none."""
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound(f"User {user_id} not found")
        return user

    async def page(self, offset: int, limit: int) -> Sequence[User]:
        return await self.users.page(offset, limit)

    async def search(self, name_part: str) -> Sequence[User]:
        return await self.users.search_by_name(name_part)

    async def sign_up(self, data: UserCreate) -> User:
        """A new user; AlreadyExists when the email is registered already."""
        # No lookup of the email first: between that SELECT and this INSERT another request
        # can insert the same email. The unique index decides, inside the commit.
        user = User(
            name=data.name,
            email=data.email,
            # Only the hash is stored; the password itself is never kept, logged or answered.
            password=await new_hash(data.password),
            role=Role.user.value,  # never from the request: chapter 17
            profile=data.profile.model_dump(mode="json") if data.profile else None,
        )
        self.users.add(user)
        await self.users.commit()
        return user

    async def replace(self, user_id: int, data: UserBase) -> User:
        """Replace the name and the email; the id stays."""
        user = await self.get(user_id)
        user.name, user.email = data.name, data.email
        await self.users.commit()
        return user

    async def update(self, user_id: int, data: UserUpdate) -> User:
        """Change only the fields the caller set (a PATCH); the others stay."""
        user = await self.get(user_id)
        # exclude_unset: the fields the caller gave; mode="json": the profile's URL as text.
        for name, value in data.model_dump(mode="json", exclude_unset=True).items():
            setattr(user, name, value)
        await self.users.commit()
        return user

    async def set_role(self, user_id: int, role: Role) -> User:
        """Give a user a role: called by the admin-only route, never by signing up."""
        user = await self.get(user_id)
        user.role = role.value
        await self.users.commit()
        return user

    async def delete(self, user_id: int) -> None:
        """Delete the user; their items stay in the catalogue, owned by nobody (admins'),
        in the same transaction: the row and its items' owner go together, or neither."""
        user = await self.get(user_id)
        await self.users.disown_items(user_id)
        await self.users.delete(user)
        await self.users.commit()
