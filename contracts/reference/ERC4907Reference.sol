// SPDX-License-Identifier: CC0-1.0
// solhint-disable
pragma solidity ^0.8.28;

// The ERC-4907 reference implementation (ethereum/EIPs, assets/eip-4907/contracts/ERC4907.sol and
// ERC4907Demo.sol, by EmojiDAO, CC0-1.0), kept only as the yardstick of `npm run bench:gas`
// (`erc4907_reference_set_user_gas`). Ported from OpenZeppelin 4 to 5, nothing else changed:
// `_isApprovedOrOwner(msg.sender, id)` is OpenZeppelin 5's `_isAuthorized(_ownerOf(id), msg.sender,
// id)`, and the `_beforeTokenTransfer` hook (clearing the user on a transfer) is the `_update`
// override. The storage is the reference's: one `UserInfo {address user; uint64 expires}` slot per
// token, written field by field. Never deployed by the platform.

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC4907} from "../interfaces/IERC4907.sol";

contract ERC4907Reference is ERC721, IERC4907 {
    struct UserInfo {
        address user; // address of user role
        uint64 expires; // unix timestamp, user expires
    }

    mapping(uint256 => UserInfo) internal _users;

    constructor(string memory name_, string memory symbol_) ERC721(name_, symbol_) {}

    /// @notice set the user and expires of a NFT
    /// @dev The zero address indicates there is no user
    /// Throws if `tokenId` is not valid NFT
    /// @param user  The new user of the NFT
    /// @param expires  UNIX timestamp, The new user could use the NFT before expires
    function setUser(uint256 tokenId, address user, uint64 expires) public virtual {
        require(_isAuthorized(_ownerOf(tokenId), msg.sender, tokenId), "ERC721: transfer caller is not owner nor approved");
        UserInfo storage info = _users[tokenId];
        info.user = user;
        info.expires = expires;
        emit UpdateUser(tokenId, user, expires);
    }

    /// @notice Get the user address of an NFT
    /// @dev The zero address indicates that there is no user or the user is expired
    /// @param tokenId The NFT to get the user address for
    /// @return The user address for this NFT
    function userOf(uint256 tokenId) public view virtual returns (address) {
        if (uint256(_users[tokenId].expires) >= block.timestamp) {
            return _users[tokenId].user;
        } else {
            return address(0);
        }
    }

    /// @notice Get the user expires of an NFT
    /// @dev The zero value indicates that there is no user
    /// @param tokenId The NFT to get the user expires for
    /// @return The user expires for this NFT
    function userExpires(uint256 tokenId) public view virtual returns (uint256) {
        return _users[tokenId].expires;
    }

    /// @dev See {IERC165-supportsInterface}.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IERC4907).interfaceId || super.supportsInterface(interfaceId);
    }

    function _update(address to, uint256 tokenId, address auth) internal virtual override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != to && _users[tokenId].user != address(0)) {
            delete _users[tokenId];
            emit UpdateUser(tokenId, address(0), 0);
        }
    }

    /// @dev ERC4907Demo's open mint.
    function mint(uint256 tokenId, address to) public {
        _mint(to, tokenId);
    }
}
